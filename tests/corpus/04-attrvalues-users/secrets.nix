let
  users = {
    alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICgU0/E4W6oOM9ldg1/+PuY1WCU67yGjVmohek3zMnaG";
    bob = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDRtHgfXVUMnEhx4eZdowINSMmh9e58JJWLpKRfxFH0I";
    carol = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBZjJUxmg1vhLPzJ4xQQ8CXtpyuUKs5HyyevgDz1ZgJe carol@example";
  };
  hosts = {
    db1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPsYibcm2V4Q4AFBNb7S1qSGteUAHHwt7iPsUjmUOR4/";
    web1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO4I4uow6U3At81vNqWw50dUrQn5wD2PtyKlGly18EQU";
  };
  everyone = builtins.attrValues users ++ builtins.attrValues hosts;
in
{
  "postgres-password.age".publicKeys = builtins.attrValues users ++ [ hosts.db1 ];
  "nginx-cert.age".publicKeys = everyone;
  "carol.age".publicKeys = [ users.carol ];
}
