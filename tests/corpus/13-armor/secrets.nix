let
  alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICgU0/E4W6oOM9ldg1/+PuY1WCU67yGjVmohek3zMnaG";
  vps = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHandbdFLjDOd4MYdRG0Tc8tbzyVKAe6VL4fbBvuPkIQ";
in
{
  "armored.age" = {
    publicKeys = [ alice vps ];
    armor = true;
  };
  "binary.age" = {
    publicKeys = [ alice vps ];
    armor = false;
  };
  "default-binary.age".publicKeys = [ alice ];
  "dotted-armor.age".publicKeys = [ vps ];
  "dotted-armor.age".armor = true;
}
