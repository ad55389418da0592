# secrets.nix for the example.org servers
/* A block comment before anything. */
let
  # people
  alice /* the admin */ = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICgU0/E4W6oOM9ldg1/+PuY1WCU67yGjVmohek3zMnaG"; # laptop
  bob = # bob's desktop
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDRtHgfXVUMnEhx4eZdowINSMmh9e58JJWLpKRfxFH0I";
  /* machines */
  web1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO4I4uow6U3At81vNqWw50dUrQn5wD2PtyKlGly18EQU";
in
# the rules
{
  # database
  "db.age".publicKeys = [
    alice # admin
    /* bob is on holiday */
    web1
  ];
  "web.age" /* comment in the key */ .publicKeys = [ alice bob web1 ]; # trailing
  /* "old.age".publicKeys = [ alice ]; */
}
# end
