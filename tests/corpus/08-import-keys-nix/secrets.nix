let
  keys = import ./keys.nix;
  users = builtins.attrValues keys.users;
in
{
  "web1-env.age".publicKeys = users ++ [ keys.hosts.web1 ];
  "web2-env.age".publicKeys = users ++ [ keys.hosts.web2 ];
  "shared.age".publicKeys = users ++ builtins.attrValues keys.hosts;
}
