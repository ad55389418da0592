let
  alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICgU0/E4W6oOM9ldg1/+PuY1WCU67yGjVmohek3zMnaG";
  hosts = {
    web1 = { key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO4I4uow6U3At81vNqWw50dUrQn5wD2PtyKlGly18EQU"; roles = [ "web" ]; };
    web2 = { key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFKfOkhDJ1ZmfOeYGG98dDaGoqrL9HGFE18UedA+8+KP"; roles = [ "web" "mail" ]; };
    db1 = { key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPsYibcm2V4Q4AFBNb7S1qSGteUAHHwt7iPsUjmUOR4/"; roles = [ "db" ]; };
  };
  withRole = role:
    map (h: h.key) (builtins.filter (h: builtins.elem role h.roles) (builtins.attrValues hosts));
in
{
  "web-tls.age".publicKeys = [ alice ] ++ withRole "web";
  "mail-dkim.age".publicKeys = [ alice ] ++ withRole "mail";
  "db-password.age".publicKeys = [ alice ] ++ withRole "db";
}
