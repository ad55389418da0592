with builtins;
let
  keys = {
    alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ8yB47LA7q+zumEKOubKEk+uXxIVQcivz4eQaUexM+S";
    bob = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBGGNRwMPCXlkmSFH8QY+K1G2psl1qKW51gqp3CI0+AO";
  };
  everyone = attrValues keys;
  services = [
    "vaultwarden"
    "gitea"
  ];
in
listToAttrs (
  concatMap (service: [
    {
      name = "${service}/env.age";
      value = { publicKeys = everyone; };
    }
  ]) services
)
