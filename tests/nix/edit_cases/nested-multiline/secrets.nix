# Secrets for the homelab.
let
  # people
  alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOR46aRMi+VdnEYH50+oOKQyA//ohpWILpgjkB8j4V7d user1@host";
  bob = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII2PK0zweZU73vDddQ9LUxI6+dxaLmKEQBp+eTVuFf+u user2@host";

  # machines
  server = "age1n3vp9m6tm05n44g2jya44d8edhxh4yqmuqgmsq5y6v4rydkw9p7sz5qalv"; # reinstalled 2024
in
{
  "wifi.age" = {
    publicKeys = [
      alice
      server
    ];
    armor = true;
  };

  "backup.age" = {
    publicKeys = [
      alice
      bob # bob does the backups
      server
    ];
  };
}
