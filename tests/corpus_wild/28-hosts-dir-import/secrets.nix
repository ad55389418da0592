let
  web = import ./hosts/web.nix;
  db = import ./hosts/db.nix;
  admins = [ (import ./hosts/admins.nix).alice ];
in
{
  "web/secret.age".publicKeys = admins ++ [ web.key ];
  "db/secret.age".publicKeys = admins ++ [ db.key ];
}
