let
  hosts = {
    web1.key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILnwluhOda28uzIRArFM3vfhAUf9y/M4/7E6f7QB6pf0";
    db1 = { };
  };
  keyOf = name: hosts.${name}.key or null;
  admin = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ8yB47LA7q+zumEKOubKEk+uXxIVQcivz4eQaUexM+S";
in
{
  "web1.age".publicKeys = [ admin ] ++ builtins.filter (key: key != null) [ (keyOf "web1") ];
  "db1.age".publicKeys = [ admin ] ++ builtins.filter (key: key != null) [ (keyOf "db1") ];
}
