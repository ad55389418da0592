let
  # authorized_keys style: one key per line
  authorizedKeys = ''
    ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICgU0/E4W6oOM9ldg1/+PuY1WCU67yGjVmohek3zMnaG
    ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDRtHgfXVUMnEhx4eZdowINSMmh9e58JJWLpKRfxFH0I
  '';
  lines = builtins.filter (l: builtins.isString l && l != "") (builtins.split "\n" authorizedKeys);
  host = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHandbdFLjDOd4MYdRG0Tc8tbzyVKAe6VL4fbBvuPkIQ";
in
{
  "from-lines.age".publicKeys = lines ++ [ host ];
  "host.age".publicKeys = [ host ];
}
