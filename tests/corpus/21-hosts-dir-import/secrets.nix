let
  hosts = import ./hosts;
  alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICgU0/E4W6oOM9ldg1/+PuY1WCU67yGjVmohek3zMnaG";
in
{
  "web1/env.age".publicKeys = [ alice hosts.web1 ];
  "db1/env.age".publicKeys = [ alice hosts.db1 ];
}
