let
  admins = [ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ8yB47LA7q+zumEKOubKEk+uXxIVQcivz4eQaUexM+S" ];
  hosts = [ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ2Qw5RRYKpGIiKherb1jhYEbtrlTim+xKy8QetXnVZN" ];
in
assert builtins.length admins > 0;
assert builtins.all (key: builtins.isString key) hosts;
{
  "guarded.age".publicKeys = admins ++ hosts;
}
