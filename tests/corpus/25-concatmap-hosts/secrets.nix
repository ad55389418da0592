let
  admins = {
    alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICgU0/E4W6oOM9ldg1/+PuY1WCU67yGjVmohek3zMnaG";
  };
  clusters = {
    web = [ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO4I4uow6U3At81vNqWw50dUrQn5wD2PtyKlGly18EQU" "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFKfOkhDJ1ZmfOeYGG98dDaGoqrL9HGFE18UedA+8+KP" ];
    data = [ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPsYibcm2V4Q4AFBNb7S1qSGteUAHHwt7iPsUjmUOR4/" ];
  };
  allHosts = builtins.concatMap (name: clusters.${name}) (builtins.attrNames clusters);
in
{
  "cluster-web.age".publicKeys = builtins.attrValues admins ++ clusters.web;
  "cluster-data.age".publicKeys = builtins.attrValues admins ++ clusters.data;
  "all-hosts.age".publicKeys = builtins.attrValues admins ++ allHosts;
}
