package warren.core.security;

import java.util.Set;

/** A user record: name, salted password hash (RabbitMQ format) and tags such as administrator. */
public record User(String name, String passwordHash, Set<String> tags) {
    public User {
        tags = Set.copyOf(tags);
    }

    public boolean checkPassword(String password) {
        return PasswordHash.matches(passwordHash, password);
    }
}
