{ extraAdmins ? [ ] }:
let
  alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICgU0/E4W6oOM9ldg1/+PuY1WCU67yGjVmohek3zMnaG";
in
{
  admins = [ alice ] ++ extraAdmins;
  servers = {
    vps = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHandbdFLjDOd4MYdRG0Tc8tbzyVKAe6VL4fbBvuPkIQ";
  };
}
