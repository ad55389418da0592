let
  keys = rec {
    alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICgU0/E4W6oOM9ldg1/+PuY1WCU67yGjVmohek3zMnaG";
    web2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFKfOkhDJ1ZmfOeYGG98dDaGoqrL9HGFE18UedA+8+KP";
    both = [ alice web2 ];
  };
in
rec {
  "mail-password.age".publicKeys = keys.both;
  "web2-only.age" = {
    publicKeys = [ keys.web2 ];
    armor = true;
  };
}
