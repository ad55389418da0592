let
  web-1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILnwluhOda28uzIRArFM3vfhAUf9y/M4/7E6f7QB6pf0";
  db-primary = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDYCLOMsbaP6ynS3t3P2DN4Q+ME5Q6mHna0FINnXvoo4";
  user-alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ8yB47LA7q+zumEKOubKEk+uXxIVQcivz4eQaUexM+S";
in
{
  "my-app-env.age".publicKeys = [ user-alice web-1 ];
  "db-primary-password.age".publicKeys = [ user-alice db-primary ];
  "-leading-hyphen-filename.age".publicKeys = [ user-alice ];
}
