let
  # an old server that only has an RSA host key
  old = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAACAQDCSzLMuUiQtwunpYgPwgq9Z5mY2BIIhJnGkZvUsC2IpU+6PJY+ZSZ6TYR1zSriP2V/Nr1ll8Bju4GQ79x31yoZkzOskW5roFJ3fWSkZkhaL4DdM1VQnUxoqRG032UEXps5e5C7b9C5298y2NGQ62lMq5rgyuauyOTyGKA9jmQp9/Qx4sZ96R6r73DZxIiqfxHQJzqqR+C1dc4GC/6v7FdkejzjpI8iB5jNgdI41r6oM0W1FAWAyR07hz+I0SIrW9/FX5q3OzI8bsTr/+rFH99rC4H0jw4swWwucXwI1iKevBUJXm7G6GJejWXeTpc536vC5DMBhyoGQFGExzebMjeDtXHH8+dcYQJEhXoRt57M1FrgTG5bu4yc56KHUHHpGayjf7WPeXHU2VutblKP7819FrUAxozxEDi2GKYSmfore8zLpvOpfjVZuQCjOTMGEZ6NN4DxSU1TyI4K81bAX2BdvMMmuMGnxA4mk0+Ee11Y3X0AMn/iQ+x43ZY8w4edWUfvymcwyex0rYYrZBtGPEdYpFBvd7rgR5lGJ/miNw5a9/Nzm8zY6YZqMIrEGkKXAcmC5VLTkRjIDCtuWpFEBE9OEid28NOp87GhQ+XqnjFHnNKBWDNNqHuSORmB2jKQcZ4A+PL3wDTOF5+21eIHzMyGHOmWeIlZ4u4SV3HnjbH0aw== root@old";
  legacy = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDAyu7Icf2NQTV8L/fhK62DFGrgvI9OScbI21yOjBb0zrX55m6QygaYKXabaYMA/3efokdXuRXDfS/jz+StNlv2+qf6lSWBSv5f2U6u5QYnnzgoSxHobCSEJmfO7C4pgyseT9k5wAeYlh1C6T9d1jAyJTicsCM5ixhCd6xCag+lkV5naJNQYwRppXRphvXOPk1U5rZX3k05Q5ypb6C4kLTTnv9n/0cE06MtVUywOeGNbOZeVzS0PjdUqNi1jBupIpHWQ3iLytzB7F5N0zf9kbbJNxTHFSHFAvyA0Rfvc4VSBWYzvhukPIdsofiT6kpGUmZD50dOcgHdUHTa/KzH+dsh";
  modern = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO4I4uow6U3At81vNqWw50dUrQn5wD2PtyKlGly18EQU";
  yubikey = "age1u899l2njt3u3wxtutzj9wn0v47rm5xv2s0la869dp377280xxeqs0cwln9";
  paper = "age1vzq5nhkfjdye3uvlp3pgr3scwa9u4hvnp0hg8fr3mh65vsjkzsys59qe34";
in
{
  "old-server.age".publicKeys = [ old yubikey ];
  "legacy.age".publicKeys = [ legacy yubikey paper ];
  "modern.age".publicKeys = [ modern yubikey paper ];
  "all.age".publicKeys = [ old legacy modern yubikey paper ];
}
