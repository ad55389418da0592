let
  alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICgU0/E4W6oOM9ldg1/+PuY1WCU67yGjVmohek3zMnaG";
  services = [ "matrix_synapse" "heisenbridge" "mautrix_telegram" ];
  fileName = name: "${builtins.replaceStrings [ "_" ] [ "-" ] name}.age";
in
builtins.listToAttrs (map (s: { name = fileName s; value = { publicKeys = [ alice ]; }; }) services)
// {
  "${builtins.concatStringsSep "-" [ "joined" "name" ]}.age".publicKeys = [ alice ];
  ${"dynamic" + ".age"}.publicKeys = [ alice ];
}
