let
  admins = [ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ8yB47LA7q+zumEKOubKEk+uXxIVQcivz4eQaUexM+S" ];
  web1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILnwluhOda28uzIRArFM3vfhAUf9y/M4/7E6f7QB6pf0";
  web2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ2Qw5RRYKpGIiKherb1jhYEbtrlTim+xKy8QetXnVZN";
in
builtins.mapAttrs (_: hosts: { publicKeys = admins ++ hosts; }) {
  "web1-env.age" = [ web1 ];
  "web2-env.age" = [ web2 ];
  "shared-env.age" = [
    web1
    web2
  ];
}
