let
  keys = rec {
    alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ8yB47LA7q+zumEKOubKEk+uXxIVQcivz4eQaUexM+S";
    bob = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBGGNRwMPCXlkmSFH8QY+K1G2psl1qKW51gqp3CI0+AO";
    web1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILnwluhOda28uzIRArFM3vfhAUf9y/M4/7E6f7QB6pf0";
    people = [ alice bob ];
    all = people ++ [ web1 ];
  };
in
rec {
  "people.age".publicKeys = keys.people;
  "all.age".publicKeys = keys.all;
  "same-as-people.age" = { inherit (keys) people; } // { publicKeys = keys.people; };
}
