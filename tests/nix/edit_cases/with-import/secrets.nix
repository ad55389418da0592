with import ./hosts.nix;
{
  "cache.age".publicKeys = [ builder "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGlCO8+KJv8EVaYVt7nI+a5G+6Ni8oRJ/OD47tdJBgXv user3@host" ];
}
