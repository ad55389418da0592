let
  all = {
    alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICgU0/E4W6oOM9ldg1/+PuY1WCU67yGjVmohek3zMnaG";
    bob = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDRtHgfXVUMnEhx4eZdowINSMmh9e58JJWLpKRfxFH0I";
    web1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO4I4uow6U3At81vNqWw50dUrQn5wD2PtyKlGly18EQU";
    db1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPsYibcm2V4Q4AFBNb7S1qSGteUAHHwt7iPsUjmUOR4/";
  };
  wanted = { alice = true; db1 = true; nobody = true; };
in
{
  "without-bob.age".publicKeys = builtins.attrValues (builtins.removeAttrs all [ "bob" "web1" ]);
  "intersected.age".publicKeys = builtins.attrValues (builtins.intersectAttrs wanted all);
}
