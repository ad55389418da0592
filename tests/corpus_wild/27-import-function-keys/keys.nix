{
  extra ? [ ],
  admin ? "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ8yB47LA7q+zumEKOubKEk+uXxIVQcivz4eQaUexM+S",
}:
{
  all = [
    admin
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILnwluhOda28uzIRArFM3vfhAUf9y/M4/7E6f7QB6pf0"
  ] ++ extra;
}
