let
  alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICgU0/E4W6oOM9ldg1/+PuY1WCU67yGjVmohek3zMnaG";
  db1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPsYibcm2V4Q4AFBNb7S1qSGteUAHHwt7iPsUjmUOR4/";
  names = [ "grafana" "prometheus" "loki" ];
in
builtins.foldl' (acc: name: acc // { "monitoring/${name}.age".publicKeys = [ alice db1 ]; }) {
  "monitoring/alertmanager.age".publicKeys = [ alice ];
} names
