let
  alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOR46aRMi+VdnEYH50+oOKQyA//ohpWILpgjkB8j4V7d user1@host";
in
{ }
