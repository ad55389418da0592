let
  alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ8yB47LA7q+zumEKOubKEk+uXxIVQcivz4eQaUexM+S";
  bob = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBGGNRwMPCXlkmSFH8QY+K1G2psl1qKW51gqp3CI0+AO";
  users = [ alice bob ];

  web1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILnwluhOda28uzIRArFM3vfhAUf9y/M4/7E6f7QB6pf0";
  db1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDYCLOMsbaP6ynS3t3P2DN4Q+ME5Q6mHna0FINnXvoo4";
  systems = [ web1 db1 ];
in
{
  "secret1.age".publicKeys = [ alice web1 ];
  "secret2.age".publicKeys = users ++ systems;
}
