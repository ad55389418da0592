let
  alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ8yB47LA7q+zumEKOubKEk+uXxIVQcivz4eQaUexM+S";
in
{
  inherit;
  "after-cleanup.age".publicKeys = [ alice ];
}
