let
  keys = {
    alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICgU0/E4W6oOM9ldg1/+PuY1WCU67yGjVmohek3zMnaG";
    vps = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHandbdFLjDOd4MYdRG0Tc8tbzyVKAe6VL4fbBvuPkIQ";
  };
  extra = keys.extra or [ ];
  bob = if keys ? bob then [ keys.bob ] else [ ];
in
{
  "a.age".publicKeys = [ keys.alice ] ++ extra ++ bob;
  "b.age".publicKeys = [ (keys.vps or keys.alice) ];
  "c.age".publicKeys = builtins.catAttrs "key" [ { key = keys.alice; } { other = 1; } { key = keys.vps; } ];
}
