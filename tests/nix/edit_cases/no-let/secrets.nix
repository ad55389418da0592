{
  "a.age".publicKeys = [ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOR46aRMi+VdnEYH50+oOKQyA//ohpWILpgjkB8j4V7d user1@host" "age1n3vp9m6tm05n44g2jya44d8edhxh4yqmuqgmsq5y6v4rydkw9p7sz5qalv" ];
  b.publicKeys = [ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII2PK0zweZU73vDddQ9LUxI6+dxaLmKEQBp+eTVuFf+u user2@host" ];
}
