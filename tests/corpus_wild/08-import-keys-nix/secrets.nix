let
  keys = import ./keys.nix;
  everyone = keys.users ++ keys.hosts;
in
{
  "shared.age".publicKeys = everyone;
  "alice-only.age".publicKeys = [ keys.alice ];
}
