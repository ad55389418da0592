let
  admin = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBGGNRwMPCXlkmSFH8QY+K1G2psl1qKW51gqp3CI0+AO";
  service = name: hostKey: { "${name}.age".publicKeys = [ admin hostKey ]; };
in
builtins.foldl' (acc: set: acc // set) { } [
  (service "grafana" "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILnwluhOda28uzIRArFM3vfhAUf9y/M4/7E6f7QB6pf0")
  (service "loki" "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ2Qw5RRYKpGIiKherb1jhYEbtrlTim+xKy8QetXnVZN")
  (service "postgres" "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDYCLOMsbaP6ynS3t3P2DN4Q+ME5Q6mHna0FINnXvoo4")
]
