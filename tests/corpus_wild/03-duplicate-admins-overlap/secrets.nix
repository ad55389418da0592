let
  alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ8yB47LA7q+zumEKOubKEk+uXxIVQcivz4eQaUexM+S";
  bob = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBGGNRwMPCXlkmSFH8QY+K1G2psl1qKW51gqp3CI0+AO";
  admins = [ alice bob ];
  server = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ2Qw5RRYKpGIiKherb1jhYEbtrlTim+xKy8QetXnVZN";
in
{
  "grafana-admin.age".publicKeys = admins ++ [ alice server ];
  "restic-password.age".publicKeys = admins ++ [ server ];
}
