let
  users = [
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBZjJUxmg1vhLPzJ4xQQ8CXtpyuUKs5HyyevgDz1ZgJe"
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICHvGQst1p/JpYNR7adFSN2LyUGcrGib0U6J12O0eVr1"
  ];
  server = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHandbdFLjDOd4MYdRG0Tc8tbzyVKAe6VL4fbBvuPkIQ";
  names = [ "smtp-password" "grafana-admin" "oauth-client-secret" ];
in
builtins.listToAttrs (
  map (name: {
    name = "${name}.age";
    value.publicKeys = users ++ [ server ];
  }) names
)
