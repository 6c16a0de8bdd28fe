"""The typed callback context: handlers reach the runtime and the learner through it."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.console import i18n
from bot.domain.roles import Role, role_of
from bot.runtime import Runtime
from bot.services import learners
from bot.telegram.menus import set_chat_menu

RUNTIME_KEY = "runtime"
USER_ID_KEY = "user_id"
LANGUAGE_KEY = "language"
MENUS_KEY = "staff_menus_set"  # (chat id, role, language) whose menu this process has set


class QuizContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """CallbackContext with the runtime and the current learner."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)

    @property
    def runtime(self) -> Runtime:
        """Settings, sessions and clock of this process."""
        runtime: Runtime = self.bot_data[RUNTIME_KEY]
        return runtime

    def role(self, update: Update) -> Role:
        """The role of the user who sent the update."""
        user = update.effective_user
        settings = self.runtime.settings
        if user is None:
            return Role.LEARNER
        return role_of(user.id, admins=settings.admin_ids, instructors=settings.instructor_ids)

    async def learner_id(self, update: Update) -> int:
        """The database id of the user behind the update, creating the user when new.

        Cached per Telegram user in memory; the cache is dropped when the user blocks the
        bot, so their next message marks them active again in the database.
        """
        cached = self.user_data.get(USER_ID_KEY) if self.user_data is not None else None
        if isinstance(cached, int):
            return cached
        tg_user = update.effective_user
        assert tg_user is not None, "handlers only run for updates from a user"
        async with self.runtime.sessions() as session:
            user = await learners.touch_telegram_user(
                session,
                telegram_id=tg_user.id,
                first_name=tg_user.first_name,
                language_code=tg_user.language_code,
                now=self.runtime.clock(),
            )
        if self.user_data is not None:
            self.user_data[USER_ID_KEY] = user.id
            self.user_data[LANGUAGE_KEY] = user.language
        role = self.role(update)
        if role >= Role.INSTRUCTOR and update.effective_chat is not None:
            await self._staff_menu(update.effective_chat.id, role)
        return user.id

    async def _staff_menu(self, chat_id: int, role: Role) -> None:
        """The wider menu of an instructor's or admin's chat, in their language."""
        # Once per chat and role in this process: the cached user id above is dropped for
        # every update in webhook mode (another worker may have changed the user), which
        # would otherwise call setMyCommands on every update of every instructor.
        done: set[tuple[int, Role, str | None]] = self.bot_data.setdefault(MENUS_KEY, set())
        key = (chat_id, role, self.language)
        if key in done:
            return
        with i18n.use(self.language):
            if await set_chat_menu(self.bot, chat_id, role):
                done.add(key)

    @property
    def language(self) -> str | None:
        """The language of the learner behind the update, as last read (None: not known)."""
        language = self.user_data.get(LANGUAGE_KEY) if self.user_data is not None else None
        return language if isinstance(language, str) else None

    def remember_language(self, language: str) -> None:
        """Keep the learner's new choice for the updates that follow."""
        if self.user_data is not None:
            self.user_data[LANGUAGE_KEY] = language

    def forget_cached_user(self) -> None:
        """Drop the cached learner id and language (after /forgetme or a block)."""
        if self.user_data is not None:
            self.user_data.pop(USER_ID_KEY, None)
            self.user_data.pop(LANGUAGE_KEY, None)
