let
  keys = builtins.fromTOML (builtins.readFile ./keys.toml);
  users = builtins.attrValues keys.users;
in
{
  "conduit-env.age".publicKeys = users ++ [ keys.hosts.matrix ];
  "backup-passphrase.age".publicKeys = users ++ [ keys.hosts.backup ];
}
