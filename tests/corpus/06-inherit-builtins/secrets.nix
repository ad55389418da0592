let
  inherit (builtins) attrValues concatLists;
  users = {
    alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICgU0/E4W6oOM9ldg1/+PuY1WCU67yGjVmohek3zMnaG";
    erin = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDuzVCfSWm5jOvsx8kLSwDRKZgdq2MVLOR/DfmQ8iKbf";
  };
  machines = {
    vps = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHandbdFLjDOd4MYdRG0Tc8tbzyVKAe6VL4fbBvuPkIQ";
    matrix = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIaaxZA5+fJUUK2QN6YONeGyE5hVNYcuav6fausuaZNW";
  };
  all = concatLists [ (attrValues users) (attrValues machines) ];
in
{
  "matrix-registration.age".publicKeys = attrValues users ++ [ machines.matrix ];
  "backup-key.age".publicKeys = all;
}
