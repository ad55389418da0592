let
  user1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICgU0/E4W6oOM9ldg1/+PuY1WCU67yGjVmohek3zMnaG";
  user2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDRtHgfXVUMnEhx4eZdowINSMmh9e58JJWLpKRfxFH0I";
  users = [ user1 user2 ];

  system1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO4I4uow6U3At81vNqWw50dUrQn5wD2PtyKlGly18EQU";
  system2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFKfOkhDJ1ZmfOeYGG98dDaGoqrL9HGFE18UedA+8+KP";
  systems = [ system1 system2 ];
in
{
  "secret1.age".publicKeys = [ user1 system1 ];
  "secret2.age".publicKeys = users ++ systems;
  "armored-secret.age" = {
    publicKeys = [ user1 ];
    armor = true;
  };
}
