let
  admin = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ8yB47LA7q+zumEKOubKEk+uXxIVQcivz4eQaUexM+S";
  hostKeys = {
    web1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILnwluhOda28uzIRArFM3vfhAUf9y/M4/7E6f7QB6pf0";
    web2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ2Qw5RRYKpGIiKherb1jhYEbtrlTim+xKy8QetXnVZN";
    db1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDYCLOMsbaP6ynS3t3P2DN4Q+ME5Q6mHna0FINnXvoo4";
  };
  perHost = host: [
    {
      name = "hosts/${host}/ssh_host_ed25519_key.age";
      value.publicKeys = [ admin hostKeys.${host} ];
    }
    {
      name = "hosts/${host}/wireguard.age";
      value.publicKeys = [ admin (builtins.getAttr host hostKeys) ];
    }
  ];
in
builtins.listToAttrs (builtins.concatMap perHost (builtins.attrNames hostKeys))
