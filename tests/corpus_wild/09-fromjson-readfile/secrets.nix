let
  keys = builtins.fromJSON (builtins.readFile ./keys.json);
  admins = keys.admins;
in
{
  "backup.age".publicKeys = admins ++ [ keys.hosts.backup ];
  "monitoring.age".publicKeys = admins ++ builtins.attrValues keys.hosts;
}
