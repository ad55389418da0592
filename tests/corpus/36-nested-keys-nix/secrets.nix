with import ./keys.nix;
{
  "web1.age".publicKeys = admins ++ [ web1 ];
  "alice.age".publicKeys = [ alice ];
}
