let
  keys = import ./keys.nix { extraAdmins = [ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDuzVCfSWm5jOvsx8kLSwDRKZgdq2MVLOR/DfmQ8iKbf" ]; };
in
{
  "vps-env.age".publicKeys = keys.admins ++ [ keys.servers.vps ];
}
