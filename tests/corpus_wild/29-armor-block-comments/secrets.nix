/*
  Secrets for the mail server.
*/
let
  /* people */
  alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ8yB47LA7q+zumEKOubKEk+uXxIVQcivz4eQaUexM+S"; # laptop
  mail = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCe+H3b+VlFasmUxc0jcA/jNC3hpQeoHxKSpuyyaAbEYs4G3O7IL4RvHcplxRuq7SLtGTZFNQfnb3u6E5xJi/cpjFxceuW1292wd5XV53mjOzGTLuLRvetrByXjZlObsPQeVY8LWQ/s4J6mQOWOnYh9MzqWv25kfDl0UEhXkEHPaimn1KJD22Arlf+lUbTO1hakmEfKLCq5iuY5k+KCFY8ZLyrqFxHV0lO14/JYA7oF+gHFoY7FsUL9rGSNMqxKOD/d75iUQAQHL3pLz13WT9gcsLH4cYgHSv1EkFDyO3+5W389wBh/u4U/0INzFPT4ZWH3VMQkCnT3hvkNTtE8gvL3 mail@example";
in
{
  # armored: pasted into a web form
  "dkim-private.age" = {
    publicKeys = [ alice mail ]; /* both */
    armor = true;
  };
  "relay-password.age".publicKeys = [ alice mail ]; # plain
}
