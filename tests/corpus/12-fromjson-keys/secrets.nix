let
  keys = builtins.fromJSON (builtins.readFile ./keys.json);
  admins = builtins.attrValues keys.admins;
  servers = builtins.attrValues keys.servers;
in
{
  "legacy-app.age".publicKeys = admins ++ [ keys.servers.legacy ];
  "everything.age".publicKeys = admins ++ servers;
}
