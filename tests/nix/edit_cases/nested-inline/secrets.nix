let alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOR46aRMi+VdnEYH50+oOKQyA//ohpWILpgjkB8j4V7d user1@host"; srv = "age1hx583tc37u359398ntryrkl5e0h5ymkuzns00dcwfffpugsddsfq60kta3"; in
{
  "x.age" = { publicKeys = [ alice srv ]; armor = true; };
  "y.age" = { publicKeys = [ srv ]; };
}
