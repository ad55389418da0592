{
  web1 = import ./web1.nix;
  db1 = import ./db1.nix;
}
