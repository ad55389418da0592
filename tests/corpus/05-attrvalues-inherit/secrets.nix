let
  users = {
    alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICgU0/E4W6oOM9ldg1/+PuY1WCU67yGjVmohek3zMnaG";
    bob = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDRtHgfXVUMnEhx4eZdowINSMmh9e58JJWLpKRfxFH0I";
    dave = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICHvGQst1p/JpYNR7adFSN2LyUGcrGib0U6J12O0eVr1";
  };
  systems = {
    web1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO4I4uow6U3At81vNqWw50dUrQn5wD2PtyKlGly18EQU";
    db1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPsYibcm2V4Q4AFBNb7S1qSGteUAHHwt7iPsUjmUOR4/";
  };
  admins = builtins.attrValues { inherit (users) alice bob; };
in
{
  "wireguard-web1.age".publicKeys = admins ++ builtins.attrValues { inherit (systems) web1; };
  "wireguard-db1.age".publicKeys = admins ++ [ systems.db1 ];
  "dave.age".publicKeys = builtins.attrValues { inherit (users) dave; inherit (systems) web1 db1; };
}
