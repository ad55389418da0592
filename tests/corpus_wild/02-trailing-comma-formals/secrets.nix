let
  admins = [
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ8yB47LA7q+zumEKOubKEk+uXxIVQcivz4eQaUexM+S"
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ+JD75q4zpxLwNh7TIjqU15WfUGlmFddjlaLOD37b8w"
  ];
  web = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILnwluhOda28uzIRArFM3vfhAUf9y/M4/7E6f7QB6pf0";

  mkSecret =
    {
      hosts,
      armor ? false,
    }:
    {
      publicKeys = admins ++ hosts;
      inherit armor;
    };
  withComment = { hosts, # the machines that decrypt
  }: { publicKeys = admins ++ hosts; };
in
{
  "nginx-htpasswd.age" = mkSecret { hosts = [ web ]; };
  "tls-key.age" = mkSecret {
    hosts = [ web ];
    armor = true;
  };
  "wg.age" = withComment { hosts = [ web ]; };
}
