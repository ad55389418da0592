let
  alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOR46aRMi+VdnEYH50+oOKQyA//ohpWILpgjkB8j4V7d user1@host";
  host = "age1n3vp9m6tm05n44g2jya44d8edhxh4yqmuqgmsq5y6v4rydkw9p7sz5qalv";
in
builtins.mapAttrs (_: keys: { publicKeys = keys; }) {
  "a.age" = [ alice ];
  "b.age" = [ alice host ];
}
