let
  alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICgU0/E4W6oOM9ldg1/+PuY1WCU67yGjVmohek3zMnaG";
  bob = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDRtHgfXVUMnEhx4eZdowINSMmh9e58JJWLpKRfxFH0I";
  vps = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHandbdFLjDOd4MYdRG0Tc8tbzyVKAe6VL4fbBvuPkIQ";
  admins = [ alice bob ];

  mkSecret = keys: { publicKeys = admins ++ keys; };
  mkArmored = { keys ? [ ], armor ? true }: { publicKeys = admins ++ keys; inherit armor; };
  forHost = host@{ key, ... }: mkSecret [ host.key ];
in
{
  "a.age" = mkSecret [ vps ];
  "b.age" = mkArmored { keys = [ vps ]; };
  "c.age" = mkArmored { armor = false; };
  "d.age" = forHost { key = vps; name = "vps"; };
}
