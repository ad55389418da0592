let
  alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICgU0/E4W6oOM9ldg1/+PuY1WCU67yGjVmohek3zMnaG";
  bob = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDRtHgfXVUMnEhx4eZdowINSMmh9e58JJWLpKRfxFH0I";
  users = [ alice bob ];

  web1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO4I4uow6U3At81vNqWw50dUrQn5wD2PtyKlGly18EQU";
  web2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFKfOkhDJ1ZmfOeYGG98dDaGoqrL9HGFE18UedA+8+KP";
  systems = [ web1 web2 ];
in
{
  "secret1.age".publicKeys = users ++ systems;
  "secret2.age".publicKeys = users ++ [ web1 ];
  "users-only.age".publicKeys = users;
}
