let
  alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICgU0/E4W6oOM9ldg1/+PuY1WCU67yGjVmohek3zMnaG";
  hosts = {
    web1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO4I4uow6U3At81vNqWw50dUrQn5wD2PtyKlGly18EQU";
    web2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFKfOkhDJ1ZmfOeYGG98dDaGoqrL9HGFE18UedA+8+KP";
    db1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPsYibcm2V4Q4AFBNb7S1qSGteUAHHwt7iPsUjmUOR4/";
  };
  perHost = host: key: {
    "hosts/${host}/ssh-host-key.age".publicKeys = [ alice key ];
    "hosts/${host}/wireguard.age".publicKeys = [ alice key ];
  };
in
builtins.foldl' (acc: host: acc // perHost host hosts.${host}) { } (builtins.attrNames hosts)
// {
  "shared/${"restic"}.age".publicKeys = [ alice ] ++ builtins.attrValues hosts;
}
