let
  alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICgU0/E4W6oOM9ldg1/+PuY1WCU67yGjVmohek3zMnaG";
  bob = "age1qg7ggvar37p4wznxqpk4kfk62la2hplxnh5rttf32pqjcrrnae6s0mym09";
  admins = [ alice bob ];

  web1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO4I4uow6U3At81vNqWw50dUrQn5wD2PtyKlGly18EQU";
  db1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPsYibcm2V4Q4AFBNb7S1qSGteUAHHwt7iPsUjmUOR4/";
in
builtins.mapAttrs (_: v: { publicKeys = admins ++ v; }) {
  "nginx-htpasswd.age" = [ web1 ];
  "postgres-root.age" = [ db1 ];
  "restic-password.age" = [ web1 db1 ];
  "admins-only.age" = [ ];
}
