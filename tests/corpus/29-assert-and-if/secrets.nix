let
  alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICgU0/E4W6oOM9ldg1/+PuY1WCU67yGjVmohek3zMnaG";
  web1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO4I4uow6U3At81vNqWw50dUrQn5wD2PtyKlGly18EQU";
  admins = [ alice ];
  production = true;
in
assert builtins.length admins > 0;
{
  "prod.age".publicKeys = admins ++ (if production then [ web1 ] else [ ]);
  "staging.age".publicKeys = if !production then [ web1 ] else admins;
  "checked.age".publicKeys = assert builtins.all (k: builtins.isString k) admins; admins;
}
