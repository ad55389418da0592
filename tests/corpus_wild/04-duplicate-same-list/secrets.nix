let
  me = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIB2Pdjh/I+9tXBiDXTtgOnXnQZ02wuB+0OT/p2FAPCw";
  laptop = me;
  box = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMMybdQGz2911hQGhAoyaRLU5/SAQ5K8YfYcIuLy5t+1";
in
{
  "netrc.age".publicKeys = [ me me box ];
  "cachix-token.age".publicKeys = [ me laptop ];
}
